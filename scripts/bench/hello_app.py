"""The baseline of the HTTP benchmarks: the smallest useful FastAPI endpoint (async, JSON)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
