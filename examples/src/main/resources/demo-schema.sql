CREATE TABLE IF NOT EXISTS demo_payments (
  id BIGSERIAL PRIMARY KEY,
  account TEXT NOT NULL,
  amount_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS demo_payments_account ON demo_payments (account);
CREATE TABLE IF NOT EXISTS demo_profiles (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
