-- A mention's char_start..char_end must cut exactly its evidence sentence out of its document's body.
with mentions as (
    select * from {{ ref('event_mentions') }}
),

documents as (
    select * from {{ ref('documents') }}
),

final as (
    select mentions.mention_id
    from mentions
    inner join documents using (doc_id)
    where substr(documents.body, mentions.char_start + 1, mentions.char_end - mentions.char_start)
        <> mentions.sentence
)

select * from final
