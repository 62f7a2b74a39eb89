"""A person works in Asana through Asana's official Python client (PyPI `asana`), pointed at
the emulator: ticks a checklist subtask throughline created, and creates a task with a subtask
of their own and completes it. Prints what it did as JSON for the Rust test to check.

Usage: official_client.py BASE_URL TOKEN PROJECT_GID SUBTASK_GID_TO_TICK
"""

import json
import sys

import asana


def main() -> None:
    base_url, token, project, tick = sys.argv[1:5]
    configuration = asana.Configuration()
    configuration.host = base_url
    configuration.access_token = token
    client = asana.ApiClient(configuration)
    tasks = asana.TasksApi(client)
    sections = asana.SectionsApi(client)

    # Tick the checklist entry throughline made.
    ticked = tasks.update_task({"data": {"completed": True}}, tick, {"opt_fields": "completed,name"})

    # A task of the person's own, with a subtask, both completed.
    first_section = next(iter(sections.get_sections_for_project(project, {"opt_fields": "name"})))
    own = tasks.create_task(
        {
            "data": {
                "name": "Ben's own task",
                "notes": "Not from the playbook",
                "memberships": [{"project": project, "section": first_section["gid"]}],
                "due_on": "2026-12-24",
            }
        },
        {"opt_fields": "name,due_on,memberships.project"},
    )
    sub = tasks.create_subtask_for_task(
        {"data": {"name": "A step of Ben's task"}}, own["gid"], {"opt_fields": "name,parent"}
    )
    done = tasks.update_task({"data": {"completed": True}}, sub["gid"], {"opt_fields": "completed"})
    own_done = tasks.update_task({"data": {"completed": True}}, own["gid"], {"opt_fields": "completed"})
    listed = [t["gid"] for t in tasks.get_tasks_for_project(project, {"opt_fields": "name", "limit": 100})]

    print(
        json.dumps(
            {
                "ticked": {"gid": ticked["gid"], "completed": ticked["completed"]},
                "own": {"gid": own["gid"], "due_on": own["due_on"], "completed": own_done["completed"]},
                "sub": {"gid": sub["gid"], "parent": sub["parent"]["gid"], "completed": done["completed"]},
                "listed": listed,
            }
        )
    )


if __name__ == "__main__":
    main()
