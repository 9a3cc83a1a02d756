FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
# postgresql-client: pg_dump/pg_restore for `manage.py backup` / `restore` (15, like the postgres service).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home dealiq && mkdir -p /data/media /data/backups && chown -R dealiq /data /app
USER dealiq
EXPOSE 8000 5555
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
