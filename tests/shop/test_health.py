"""``/healthz``: public (no login), answers after reaching the database, and says nothing else."""

from sqlalchemy import text


def test_healthz_answers_ok_to_anyone_after_asking_the_database(client, count_queries):
    with count_queries() as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert any(str(text("SELECT 1")) in query for query in queries)
