-- depends: 0003.currency_anomaly
-- The reconciler's sweep of refunds still PROCESSING here (their notify lost or late).
CREATE INDEX refunds_open_by_age ON refunds (created_at) WHERE status = 'PROCESSING';
