"""The work plan (工作方案): reading a plan document (parser, deadlines, levels, targets → model), storing it
(store), and turning it — or a TOML tasks file (tasks_file) — into tasks with deadlines (tasks). These load
tasks; the scheduler (scheduler/) reminds about them. demo-tasks.toml is the demo data `make run` loads."""
