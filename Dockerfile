# The news_events pipeline on Airflow's official image. docker-compose.yml builds it for every
# Airflow service (api-server, scheduler, dag-processor, triggerer, Celery workers).
FROM apache/airflow:3.3.2-python3.11

WORKDIR /opt/news-pipeline

# Dependencies first, from the project's lock file (hashes checked), so code changes reuse this layer.
# The lock pins apache-airflow==3.3.2, the same version as the base image.
COPY --chown=airflow:0 requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# The project itself, installed editable: pipeline/ finds its SQL migrations in warehouse/sql.
COPY --chown=airflow:0 pyproject.toml README.md sources.yml ./
COPY --chown=airflow:0 pipeline ./pipeline
COPY --chown=airflow:0 warehouse/sql ./warehouse/sql
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 seeds ./seeds
COPY --chown=airflow:0 scripts ./scripts
RUN pip install --no-cache-dir --no-deps -e .

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/news-pipeline/dags \
    PIPELINE_SOURCES=/opt/news-pipeline/sources.yml \
    PIPELINE_WAREHOUSE=/opt/news-pipeline/warehouse/events.duckdb
