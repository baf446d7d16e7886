FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The 入库证明 PDF (WeasyPrint): Pango and HarfBuzz's subsetter, and the CJK fonts it embeds.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
COPY . .
# Throwaway keys for the two build commands, in this RUN's shell only: the settings refuse to
# load without keys, and neither command reads or writes personal data.
RUN pip install --no-cache-dir . \
    && export SECRET_KEY=build-only FIELD_HMAC_KEY=build-only \
       FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1yZWFsLWtleS0wMDAwMDA= \
    && python manage.py collectstatic --no-input \
    && python manage.py build_certificate_font
RUN useradd --system portal && mkdir -p /app/var/private && chown -R portal /app/var
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
