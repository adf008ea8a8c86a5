-- When a device code was last polled by the database's clock, beside the polling node's (last_polled_at): a client that
-- polls at its interval through several nodes whose clocks differ is never told to slow down (people/DeviceFlow).
ALTER TABLE device_code ADD COLUMN last_polled_db_at BIGINT;
