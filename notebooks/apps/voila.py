"""Voila's configuration for the staff apps (Voila reads ``voila.py`` in the folder it runs in).

Installs :func:`playbook.apps.identity.prelaunch_hook`: each page's notebook receives the
authenticated user (a trusted proxy's header with ``playbook app --trusted-proxy``, or
Jupyter Server's login); nobody otherwise, and the IDP form is then read-only.
"""

from playbook.apps import upload_limit_mb
from playbook.apps.identity import prelaunch_hook

c = get_config()  # noqa: F821 - traitlets defines it in a config file
c.VoilaConfiguration.prelaunch_hook = prelaunch_hook
# the largest upload (playbook app --upload-limit, shown next to the upload buttons), plus 1 MB of message
c.Voila.tornado_settings = {"websocket_max_message_size": (upload_limit_mb() + 1) * 2**20}
