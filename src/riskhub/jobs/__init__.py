"""Background work (retraining, reviews, KPI rollups) as jobs in the database, run by workers.

Jobs are rows of ``jobs``; ``riskhub jobs add`` (or cron) queues them and any
number of ``riskhub worker`` processes, on any machine that reaches the
database, claim and run them. Claims lock rows with ``FOR UPDATE SKIP LOCKED``
on PostgreSQL (one writer at a time on SQLite) and lease them, so each job runs
once; a job whose worker died is claimed again when its lease runs out.
"""
