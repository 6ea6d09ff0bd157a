"""Exports of the audit trail (CSV, CDISC ODM 1.3.2 Transactional) and of the current data
(CSV per form, data dictionary, ODM 1.3.2 Snapshot), streamed, for the commands and the web."""
