# cadrebot service image: one image, three roles (api, worker, scheduler) chosen by the command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY cards ./cards
COPY knowledge ./knowledge
COPY scheduler ./scheduler
RUN pip install -c constraints.txt . && useradd --system --uid 10001 cadrebot
USER cadrebot
EXPOSE 8000
CMD ["cadrebot", "serve", "--host", "0.0.0.0", "--port", "8000"]
