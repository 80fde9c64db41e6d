-- Resolved layer: the output of event coreference (pipeline.coref) and story clustering (pipeline.stories).
-- Events are recomputed per block (event type + actors) whenever a block gains or loses mentions.

-- one row per event
create table if not exists int_events (
    event_id        varchar not null,
    event_type      varchar not null,
    block_key       varchar not null,
    event_date      date,
    status          varchar,
    rate_pct        double,
    alt_rates       double[],
    confidence      double not null
);

-- one row per (event, role, country)
create table if not exists int_event_actors (
    event_id        varchar not null,
    role            varchar not null,
    country_code    varchar not null,
    actor_name      varchar
);

-- one row per mention: the event it reports
create table if not exists int_mention_events (
    mention_id      varchar not null,
    event_id        varchar not null
);

-- one row per document: the story cluster it belongs to
create table if not exists int_document_stories (
    doc_id      varchar not null,
    story_id    varchar not null
);
