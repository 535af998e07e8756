"""Services a downstream team writes against paystream's published contracts (protos and topics)
only; none of them imports a product package."""
