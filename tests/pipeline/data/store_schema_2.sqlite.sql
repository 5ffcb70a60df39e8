-- The IDP store's tables at schema 2, as the kit created them before migrations: the DDL that
-- METADATA.create_all emitted on sqlite at commit 76f49c1 (main, before Alembic). Schema 1 is this
-- without plan_starts. tests/pipeline/test_store_migrations.py builds old stores from it.

CREATE TABLE idp_store_meta (
	"key" VARCHAR(64) NOT NULL, 
	value VARCHAR(200) NOT NULL, 
	PRIMARY KEY ("key")
);

CREATE TABLE plans (
	id INTEGER NOT NULL, 
	rep_id VARCHAR(100) NOT NULL, 
	plan_date DATE, 
	created_at DATETIME NOT NULL, 
	created_by VARCHAR(200) NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_plans_rep_id ON plans (rep_id);

CREATE TABLE plan_versions (
	id INTEGER NOT NULL, 
	plan_id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	content TEXT NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	author VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	client_token VARCHAR(200), 
	note TEXT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_plan_version UNIQUE (plan_id, version), 
	FOREIGN KEY(plan_id) REFERENCES plans (id), 
	UNIQUE (client_token)
);

CREATE INDEX ix_plan_versions_plan_id ON plan_versions (plan_id);

CREATE TABLE reviews (
	id INTEGER NOT NULL, 
	plan_id INTEGER NOT NULL, 
	competency VARCHAR(200) NOT NULL, 
	level_reached INTEGER NOT NULL, 
	review_date DATE NOT NULL, 
	author VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	client_token VARCHAR(200), 
	note TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(plan_id) REFERENCES plans (id), 
	UNIQUE (client_token)
);

CREATE INDEX ix_reviews_plan_id ON reviews (plan_id);

CREATE TABLE plan_starts (
	rep_id VARCHAR(100) NOT NULL, 
	plan_date VARCHAR(10) NOT NULL, 
	plan_id INTEGER NOT NULL, 
	PRIMARY KEY (rep_id, plan_date), 
	UNIQUE (plan_id), 
	FOREIGN KEY(plan_id) REFERENCES plans (id)
);

CREATE TABLE items (
	id INTEGER NOT NULL, 
	version_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	competency VARCHAR(200) NOT NULL, 
	why TEXT NOT NULL, 
	current_level INTEGER, 
	target_level INTEGER, 
	measures TEXT NOT NULL, 
	resources TEXT NOT NULL, 
	review_date DATE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(version_id) REFERENCES plan_versions (id)
);

CREATE INDEX ix_items_version_id ON items (version_id);

CREATE TABLE signoffs (
	id INTEGER NOT NULL, 
	plan_id INTEGER NOT NULL, 
	version_id INTEGER NOT NULL, 
	from_status VARCHAR(32) NOT NULL, 
	to_status VARCHAR(32) NOT NULL, 
	author VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(plan_id) REFERENCES plans (id), 
	FOREIGN KEY(version_id) REFERENCES plan_versions (id)
);

CREATE INDEX ix_signoffs_plan_id ON signoffs (plan_id);
