-- The till's article catalogue (master data, not the journal) and the article group of every
-- sale line (§ 2-8-2 f, SAF-T artGroupID).
--
-- `catalog_articles` holds the articles the till sells: those of the TOML catalogue
-- (source 'toml', synced at every start) and those imported with `kasse catalog import`
-- (source 'import', which win over a TOML article with the same PLU). The history of prices
-- lives in the append-only fiscal journal: every price change is a 13021 event with the old and
-- the new price, every new article a 13999 event.
CREATE TABLE catalog_articles (
    plu           TEXT PRIMARY KEY NOT NULL CHECK (length(plu) > 0),
    ean           TEXT,
    name          TEXT NOT NULL CHECK (length(name) > 0),
    price         INTEGER NOT NULL CHECK (price >= 0),
    currency      TEXT NOT NULL,
    vat_rate      INTEGER NOT NULL CHECK (vat_rate BETWEEN 0 AND 10000),
    unit          TEXT NOT NULL,
    article_group TEXT NOT NULL CHECK (length(article_group) = 5 AND article_group GLOB '04[0-9][0-9][0-9]'),
    source        TEXT NOT NULL CHECK (source IN ('toml', 'import')),
    updated_at    TEXT NOT NULL
) STRICT;

CREATE INDEX catalog_articles_ean ON catalog_articles (ean);

-- The article group the line was sold under (NULL: no catalogue article, reported as 04999).
ALTER TABLE sale_lines ADD COLUMN article_group TEXT;

-- HQ receives the line's group too (`hq_sale_lines.payload ->> 'article_group'`): the feed
-- trigger of migration 0014 again, with the new column.
DROP TRIGGER hq_sale_lines_ai;

CREATE TRIGGER hq_sale_lines_ai AFTER INSERT ON sale_lines
BEGIN
    INSERT INTO hq_feed (tbl, op, row_id, install, payload) VALUES ('sale_lines', 'i', NEW.id, (SELECT install_id FROM installs ORDER BY id DESC LIMIT 1), json_object(
        'id', NEW.id, 'sale_id', NEW.sale_id, 'line_no', NEW.line_no,
        'product_id', NEW.product_id, 'name', NEW.name, 'quantity', NEW.quantity,
        'quantity_milli', NEW.quantity_milli, 'unit', NEW.unit, 'unit_price', NEW.unit_price,
        'discount', NEW.discount, 'vat_rate', NEW.vat_rate, 'gross', NEW.gross, 'net', NEW.net,
        'vat', NEW.vat, 'is_return', NEW.is_return, 'article_group', NEW.article_group));
END;
