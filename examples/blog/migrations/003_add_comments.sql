-- Comments belong to a post; deleting a post deletes its comments.
-- rung:up
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_name VARCHAR(200) NOT NULL,
    body TEXT NOT NULL
);

-- rung:down
DROP TABLE comments;
