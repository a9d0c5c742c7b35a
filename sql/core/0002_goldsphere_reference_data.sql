-- The reference data the goldsphere server loads, so that mapping has something to find.

INSERT INTO productType (productTypeName) VALUES
  ('Coin'), ('Bar'), ('Medallion'), ('Jewelry'), ('Cast Bar'), ('Minted Bar'), ('CombiBar');

INSERT INTO metal (name, symbol) VALUES
  ('Gold', 'AU'), ('Silver', 'AG'), ('Palladium', 'PD'), ('Platinum', 'PT');

INSERT INTO currency (isoCode2, isoCode3, isoNumericCode) VALUES
  ('US', 'USD', 840), ('EU', 'EUR', 978), ('CH', 'CHF', 756),
  ('GB', 'GBP', 826), ('CA', 'CAD', 124), ('AU', 'AUD', 36);

INSERT INTO country (countryName, isoCode2) VALUES
  ('Switzerland', 'CH'), ('Austria', 'AT'), ('Australia', 'AU'), ('Canada', 'CA'),
  ('United States', 'US'), ('United Kingdom', 'GB'), ('Germany', 'DE'), ('Belgium', 'BE'),
  ('South Africa', 'ZA'), ('Japan', 'JP'), ('Mexico', 'MX'), ('China', 'CN');

INSERT INTO producer (producerName, countryId, websiteURL)
SELECT p.name, c.id, p.url
FROM (VALUES
  ('Argor-Heraeus', 'CH', 'https://www.argor.com'),
  ('Austrian Mint', 'AT', 'https://www.muenzeoesterreich.at'),
  ('Perth Mint', 'AU', 'https://www.perthmint.com'),
  ('PAMP Suisse', 'CH', 'https://www.pamp.com'),
  ('Royal Canadian Mint', 'CA', 'https://www.mint.ca'),
  ('United States Mint', 'US', 'https://www.usmint.gov'),
  ('Valcambi', 'CH', 'https://www.valcambi.com'),
  ('Metalor', 'CH', 'https://www.metalor.com'),
  ('Heraeus', 'DE', 'https://www.heraeus.com'),
  ('Umicore', 'BE', 'https://www.umicore.com'),
  ('Rand Refinery', 'ZA', 'https://www.randrefinery.com'),
  ('Swiss Mint', 'CH', 'https://www.swissmint.ch'),
  ('British Royal Mint', 'GB', 'https://www.royalmint.com'),
  ('Degussa', 'DE', 'https://www.degussa-goldhandel.de'),
  ('Asahi Refining', 'JP', 'https://www.asahirefining.com'),
  ('Johnson Matthey', 'GB', 'https://matthey.com'),
  ('Mexican Mint', 'MX', 'https://www.cmm.gob.mx'),
  ('China Gold Coin', 'CN', 'https://www.chngc.net')
) AS p(name, iso, url)
JOIN country c ON c.isoCode2 = p.iso;
