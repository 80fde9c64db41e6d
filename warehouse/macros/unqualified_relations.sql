{#- On the DuckDB file, models refer to each other without the database name. The name comes from
    the file's name, and the same views are read under other names: the read copy (events.read.duckdb)
    and the Events page's in-memory snapshot. A lake is attached under the same name by every reader. -#}

{% macro ref() %}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {%- if target.name == 'duckdb' and relation is not none -%}
        {%- do return(relation.include(database=false)) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{% endmacro %}

{% macro source(source_name, table_name) %}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- if target.name == 'duckdb' -%}
        {%- do return(relation.include(database=false)) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{% endmacro %}
