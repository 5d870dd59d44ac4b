"""A budget unit's yearly filing of its reserved share, its two-stage review, and the reading of both.

- ``services``: save a draft, submit, start a change, file in bulk
- ``figures``: reading and checking a filing's figures (``FilingError``), the form's check
- ``review``: endorse / approve, return with a reason (``ReviewError``)
- ``queries``: a unit-year's history, the review queues, the units that have not filed
- ``amounts``: the pure arithmetic (reading amounts and percentages, ratio, minimum)
- ``labels``: the names of the canteen and filing statuses
"""
