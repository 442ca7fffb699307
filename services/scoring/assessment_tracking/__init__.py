"""Tracking the annual comprehensive assessment through the year (综合考评跟踪管理, issue 16 step 6; 004, 000).

Pure rules, no I/O, over the same input rows the composite reads:
``periods`` (a period's dates and share of the year), ``readings`` (the readings that stand as of a date),
``schedule`` (a reading against its target's schedule), ``warning_notices`` (预警通知单 raised and closed),
``bulletin`` (a class's period bulletin). The wiring (queries, views, routes) is in ``reads`` and ``api``.
"""
