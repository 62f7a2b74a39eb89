"""A person works in Asana through Asana's official Python client (PyPI `asana`), pointed at
the emulator, on what the other script does not touch: finds a colleague by e-mail, lists and
creates projects, reads a section's tasks, comments on a task and reads the comments back, and
reads tasks without `opt_fields` (Asana's default representations). Prints what it saw as JSON.

Usage: official_client_gaps.py BASE_URL TOKEN WORKSPACE_GID PROJECT_GID TASK_GID SECTION_GID EMAIL
"""

import json
import sys

import asana


def main() -> None:
    base_url, token, workspace, project, task, section, email = sys.argv[1:8]
    configuration = asana.Configuration()
    configuration.host = base_url
    configuration.access_token = token
    client = asana.ApiClient(configuration)
    users = asana.UsersApi(client)
    projects = asana.ProjectsApi(client)
    sections = asana.SectionsApi(client)
    tasks = asana.TasksApi(client)
    stories = asana.StoriesApi(client)

    colleague = users.get_user(email, {"opt_fields": "name,email"})

    created = projects.create_project_for_workspace(
        {"data": {"name": "Ben's side project", "notes": "Not from the playbook"}},
        workspace,
        {"opt_fields": "name,notes,workspace"},
    )
    other = projects.create_project(
        {"data": {"name": "Ben's other project", "workspace": workspace}}, {}
    )
    in_workspace = sorted(p["name"] for p in projects.get_projects_for_workspace(workspace, {}))
    listed = sorted(p["name"] for p in projects.get_projects({"workspace": workspace}))
    everywhere = sorted(p["name"] for p in projects.get_projects({}))

    section_names = [s["name"] for s in sections.get_sections_for_project(project, {})]
    in_section = list(tasks.get_tasks_for_section(section, {"opt_fields": "name"}))
    in_section_default = list(tasks.get_tasks_for_section(section, {}))

    comment = stories.create_story_for_task(
        {"data": {"text": "Draft is with legal"}}, task, {}
    )
    html_comment = stories.create_story_for_task(
        {"data": {"html_text": "<body>Legal says <strong>yes</strong></body>"}},
        task,
        {"opt_fields": "text,html_text,created_by.name"},
    )
    comments = list(stories.get_stories_for_task(task, {}))

    task_default = tasks.get_task(task, {})
    project_default = projects.get_project(other["gid"], {})

    print(
        json.dumps(
            {
                "colleague": colleague,
                "created": created,
                "other_default": sorted(other.keys()),
                "in_workspace": in_workspace,
                "listed": listed,
                "everywhere": everywhere,
                "section_names": section_names,
                "in_section": [t["gid"] for t in in_section],
                "in_section_default_keys": sorted({k for t in in_section_default for k in t}),
                "comment": comment,
                "html_comment": html_comment,
                "comments": comments,
                "task_default_keys": sorted(task_default.keys()),
                "project_default_keys": sorted(project_default.keys()),
            }
        )
    )


if __name__ == "__main__":
    main()
