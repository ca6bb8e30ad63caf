"""The dossiers' pages: public look-up and online submission (`public`), the forms
(`forms`), the staff queue and dossier page (`staff`)."""
