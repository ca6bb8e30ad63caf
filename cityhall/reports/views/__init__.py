"""The report pages: `public` for residents and visitors, `staff` for those who handle them."""
