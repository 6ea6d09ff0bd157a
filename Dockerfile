# Production image: the web process (gunicorn) and the Celery worker/beat share it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 EDC_ENV=production
# WeasyPrint needs Pango; libpq comes with psycopg[binary].
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# collectstatic needs settings to import: throwaway values, never used at run time.
RUN SECRET_KEY=collectstatic EDC_SIGNATURE_KEY=collectstatic \
    DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input

RUN useradd --create-home edc
USER edc
EXPOSE 8000
CMD ["gunicorn", "trial.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
