-- Each service owns its database (docs/operations.md); created once, on the first start of the volume.
CREATE DATABASE shiji_dossier;
CREATE DATABASE shiji_scoring;
