"""Lab results imported from the hospital (FHIR R4 and CSV), approved by a person before they
enter a lab panel.

- `fhir` and `csv` read a file into plain `Observation`s and the `Problem`s that refuse it;
- `mapping` (with data/loinc_ucum.json) says which panel item a LOINC code or a lab's test name
  is, and converts its unit into the units the lab form offers;
- `windows` picks the panel whose event window holds the sample date; `flags` says what a
  person must look at before approving;
- `models` holds the import files, the queued values, each site's CSV columns and the
  hospital identifiers; `queue` reads them for the pages; `actions` is every write.
"""
