from django.conf import settings

from trial import roles


def user_roles(request) -> dict:
    user = getattr(request, "user", None)
    names = roles.role_names(user) if user is not None else set()
    return {
        "user_roles": sorted(names),
        "can_enter_data": bool(names & roles.ENTER_DATA),
        "can_review_system_audit": bool(names & roles.SYSTEM_AUDIT),
        "can_monitor": bool(names & roles.VERIFY_SOURCE),
        "can_manage_accounts": bool(names & roles.MANAGE_ACCOUNTS),
        "session_idle_timeout": settings.SESSION_IDLE_TIMEOUT,
        "session_idle_warning": settings.SESSION_IDLE_WARNING,
    }
