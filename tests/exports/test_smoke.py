import io

from trial.exports import audit_csv, odm
from trial.exports.common import resolve_scope


def test_smoke(story):
    scope = resolve_scope()
    out = io.StringIO()
    n = audit_csv.write(scope, out)
    print(n, out.getvalue()[:3000])
    b = io.BytesIO()
    odm.write_transactional(scope, b)
    print(b.getvalue()[-6000:].decode())
    s = io.BytesIO()
    odm.write_snapshot(scope, s)
    print(len(s.getvalue()))
    assert n > 0
