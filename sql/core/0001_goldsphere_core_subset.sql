-- A compatible subset of the goldsphere server's own schema, for development, tests and
-- the demo only. In production these tables belong to the goldsphere server and this set
-- is never run (`goldsphere db migrate` without --with-core-schema).
-- Identifiers are unquoted, as the server creates them, so PostgreSQL folds them to lower case.

CREATE TYPE orderStatus AS ENUM
  ('pending', 'confirmed', 'processing', 'shipped', 'delivered', 'completed', 'cancelled');
CREATE TYPE unitOfMeasure AS ENUM ('grams', 'troy_ounces', 'kilograms');
CREATE TYPE transactionType AS ENUM ('buy', 'sell');

CREATE TABLE users (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  email TEXT NOT NULL UNIQUE,
  username TEXT UNIQUE,
  passwordHash TEXT NOT NULL,
  role VARCHAR(50) NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin', 'user')),
  account_status VARCHAR(20) NOT NULL DEFAULT 'active'
    CHECK (account_status IN ('active', 'blocked', 'suspended', 'deleted')),
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE currency (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  isoCode2 CHAR(2),
  isoCode3 CHAR(3) UNIQUE,
  isoNumericCode INT UNIQUE,
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  createdBy UUID REFERENCES users(id),
  updatedBy UUID REFERENCES users(id)
);

CREATE TABLE country (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  countryName TEXT,
  isoCode2 CHAR(2),
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  createdBy UUID REFERENCES users(id),
  updatedBy UUID REFERENCES users(id)
);

CREATE TABLE metal (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name TEXT,
  symbol CHAR(2) UNIQUE,
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  createdBy UUID REFERENCES users(id),
  updatedBy UUID REFERENCES users(id)
);

CREATE TABLE productType (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  productTypeName TEXT,
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  createdBy UUID REFERENCES users(id),
  updatedBy UUID REFERENCES users(id)
);

CREATE TABLE producer (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  producerName TEXT UNIQUE,
  status VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  countryId UUID REFERENCES country(id),
  websiteURL TEXT,
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  createdBy UUID REFERENCES users(id),
  updatedBy UUID REFERENCES users(id)
);

CREATE TABLE product (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name TEXT NOT NULL,
  productTypeId UUID NOT NULL REFERENCES productType(id),
  metalId UUID NOT NULL REFERENCES metal(id),
  countryId UUID REFERENCES country(id),
  producerId UUID NOT NULL REFERENCES producer(id),
  weight NUMERIC(12, 4) NOT NULL,
  weightUnit unitOfMeasure NOT NULL DEFAULT 'troy_ounces',
  purity NUMERIC(5, 4) NOT NULL DEFAULT 0.999 CHECK (purity >= 0 AND purity <= 1),
  price NUMERIC(12, 2) NOT NULL,
  currency TEXT NOT NULL DEFAULT 'USD' CHECK (currency IN ('USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD')),
  year INTEGER,
  description TEXT,
  imageUrl TEXT NOT NULL DEFAULT '',
  inStock BOOLEAN NOT NULL DEFAULT true,
  stockQuantity INTEGER DEFAULT 0,
  minimumOrderQuantity INTEGER NOT NULL DEFAULT 1,
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  createdBy UUID REFERENCES users(id),
  updatedBy UUID REFERENCES users(id)
);

CREATE TABLE orders (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  userId UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  type VARCHAR(50) NOT NULL,
  orderStatus orderStatus NOT NULL,
  custodyServiceId UUID,
  payment_intent_id VARCHAR(255),
  payment_status VARCHAR(50) DEFAULT 'pending'
    CHECK (payment_status IN ('pending', 'paid', 'failed', 'refunded')),
  paid_at TIMESTAMP,
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updatedAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  createdBy UUID REFERENCES users(id),
  updatedBy UUID REFERENCES users(id)
);

CREATE TABLE order_items (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  orderId UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  productId UUID NOT NULL REFERENCES product(id),
  productName VARCHAR NOT NULL,
  quantity NUMERIC NOT NULL,
  unitPrice NUMERIC,
  totalPrice NUMERIC NOT NULL,
  createdAt TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX order_items_order_idx ON order_items (orderId);
