-- rung:up
CREATE INDEX ix_posts_author_published ON posts (author_id, published_at);

-- rung:down
DROP INDEX ix_posts_author_published;
