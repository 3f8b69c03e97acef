-- Authors and their posts.
-- rung:up
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    full_name VARCHAR(200) NOT NULL,
    email VARCHAR(254) NOT NULL UNIQUE
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP
);

INSERT INTO authors (id, full_name, email) VALUES
    (1, 'Ada Lovelace', 'ada@example.org'),
    (2, 'Grace Hopper', 'grace@example.org');
INSERT INTO posts (id, author_id, title, body, published_at) VALUES
    (1, 1, 'Notes on the engine', 'Loops; and more loops.', '2026-01-05 09:00:00'),
    (2, 2, 'Finding the bug', 'It was a moth.', NULL);

-- rung:down
DROP TABLE posts;
DROP TABLE authors;
