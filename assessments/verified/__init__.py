"""Verified maturity on stored rows: the rules are `assessments.verification` (pure).

- `status`: what each process of an assessment rests on, live or frozen at finalize.
- `evaluate`: the evaluator round that judges every bound check and writes its history.
"""
