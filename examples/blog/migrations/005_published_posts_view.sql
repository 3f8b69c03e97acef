-- rung:up
CREATE VIEW published_posts AS
SELECT p.id, p.title, a.first_name || ' ' || a.last_name AS author, p.published_at
FROM posts p
JOIN authors a ON a.id = p.author_id
WHERE p.published_at IS NOT NULL;

-- rung:down
DROP VIEW published_posts;
