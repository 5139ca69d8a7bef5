# One image for web, worker and beat (docker-compose.yml picks the command).

# Browser assets from the npm registry (Chart.js); only the built files reach the image.
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint renders PDFs with Pango.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
COPY --from=assets /app/node_modules/chart.js/dist /app/node_modules/chart.js/dist
RUN pip install . \
 && useradd --create-home dunwell \
 && mkdir -p /app/var && chown dunwell /app/var
USER dunwell

RUN SECRET_KEY="$(python -c "import secrets; print(secrets.token_urlsafe(50))")" \
    DATABASE_URL=postgres://build@localhost/none \
    python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "dunwell.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
