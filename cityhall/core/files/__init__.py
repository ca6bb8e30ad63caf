"""The file layer every domain uses for uploads: check, clean, store, serve.

- `check_upload(source, policy=...)`: size, type sniffed from the bytes, pixels from an
  image's header, pages of a PDF, the virus-scanner hook, SHA-256; `FileRejected` if not.
- `images.clean_image`: an image decoded within a budget and stored as a plain JPEG.
- `StoredFile`: the abstract model of a stored file's row; `serve_file`: its checked view.

The model and `serve_file` are imported from their modules (`core.files.models`,
`core.files.serve`), so that importing the checks loads no model.
"""

from cityhall.core.files.checks import FilePolicy, Upload, check_upload, sha256_of
from cityhall.core.files.errors import FileError, FileRejected

__all__ = ["FileError", "FilePolicy", "FileRejected", "Upload", "check_upload", "sha256_of"]
