"""What clients_api's route modules share: roles, paths and refusal lists."""

from __future__ import annotations

from shared import crypto
from shared.clients import ClientRestricted
from shared.principal import Role

MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
ADMIN = [Role.ADMIN]
OWNER = [Role.OWNER]
CLIENT = "/clients/<client_id>"
COURSE = CLIENT + "/courses/<course_ref>"
ITEM = COURSE + "/items/<item_id>"
SEALED = [crypto.KeyUnavailable]  # routes that open sealed data
CHANGES = [ClientRestricted]  # routes that change a client or act on their data
