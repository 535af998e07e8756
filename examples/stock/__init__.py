"""A reference stock service: the shop reserves stock when it creates an order; `order.events`
commits the reservation when the order is paid and releases it when it is closed."""
