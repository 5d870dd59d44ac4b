from shop.catalogue.models import ProductStatus


def test_marketplace_factories_build_consistent_objects(make_product, make_order):
    product = make_product(price="12.50", stock=7)
    order = make_order({product: 2})
    assert product.status == ProductStatus.listed
    assert order.total == product.price * 2
    assert order.lines[0].product_name == product.name
