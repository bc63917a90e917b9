"""Work-plan tasks: progress by message or card, reminders before the deadline, the overdue ladder
(提示 → 催办 → 通报 → 约谈, the last only ever drafted for a supervisor to approve)."""
