"""docs/api-example.py, run as a separate process against a live server thread: it searches, orders, has
the order shipped and accepted, pays, and reads the unit's completion, with nothing but ``requests``."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from accounts.tokens import create_token
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderStatus, PaymentStatus
from tests.real_world import World, dispose, make_app

pytestmark = pytest.mark.real_commits

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "api-example.py"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """(app, base URL) of a server thread on a free port, on a database of its own."""
    app = make_app(tmp_path_factory, "api_example", connections=5, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    dispose(app)


def _seed(app) -> tuple[str, str, int]:
    """A purchaser and the supplier of the one product on sale, each with a token: (buyer's, supplier's,
    unit id)."""
    world = World("示例")
    with app.app_context():
        county = world.county("6")
        unit = world.unit(county, "E")
        supplier = world.supplier(county)
        world.product(supplier, county, stock=50, name="兴县小米", price="42.50", min_order_quantity=2)
        active = {"must_change_password": False, "activated_at": utcnow()}
        buyer = world.purchaser(unit, f"example-buyer{world.n}", **active)
        seller = world.seller(supplier, f"example-seller{world.n}", **active)
        db.session.flush()
        buyer_token = create_token(buyer, "example")[1]
        seller_token = create_token(seller, "example")[1]
        db.session.commit()
        return buyer_token, seller_token, unit.id


def test_example_script_orders_pays_and_reads_completion(live):
    app, url = live
    buyer_token, seller_token, unit_id = _seed(app)
    env = {**os.environ, "API_URL": url, "API_TOKEN": buyer_token, "SUPPLIER_TOKEN": seller_token}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "小米"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Placed order" in result.stdout
    assert "Reserved-share completion" in result.stdout
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.unit_id == unit_id))
        assert order.status == OrderStatus.received
        assert order.payment_status == PaymentStatus.paid
        assert str(order.total) == "85.00"
