"""An import upload's size, checked while it streams in rather than after it is spooled.

The first upload handler of the import views: bytes up to ``IMPORT_MAX_BYTES`` pass on to
Django's handlers; past it they are only counted (nothing more is kept in memory or on
disk), and the file becomes an empty one of the counted size, which ``check_size`` refuses
naming its size. Far past the limit reading stops altogether (the API's imports, which
then say the file is more than the limit).

Pages and the bank-file API keep counting instead of stopping, so their own check can name
the file's size: ``size_checked_while_streaming`` for a page view, ``UploadSizeChecked`` for
a DRF view. Either way nothing past the limit is kept in memory or on disk.
"""

from __future__ import annotations

import io
from functools import wraps

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.views.decorators.csrf import csrf_exempt, csrf_protect

# how far past the limit the rest of an upload is still read, to name its size
STOP_READING_AFTER = 4


class ImportSizeLimit(FileUploadHandler):
    def __init__(
        self, request=None, *, limit_setting: str = "IMPORT_MAX_BYTES", stop_reading: bool = True
    ):
        super().__init__(request)
        self.limit_setting = limit_setting
        self.stop_reading = stop_reading

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.limit = getattr(settings, self.limit_setting)

    def receive_data_chunk(self, raw_data, start):
        received = start + len(raw_data)
        if received <= self.limit:
            return raw_data
        if self.stop_reading and received > STOP_READING_AFTER * self.limit:
            self.request.import_upload_too_large = True
            raise StopUpload(connection_reset=True)
        return None

    def file_complete(self, file_size):
        if file_size <= self.limit:
            return None
        return InMemoryUploadedFile(
            file=io.BytesIO(),
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def size_checked_while_streaming(limit_setting: str = "IMPORT_MAX_BYTES"):
    """A page view taking an upload, with ``ImportSizeLimit`` first among its upload
    handlers. The CSRF check reads a POST's body, so it moves inside, after the handler is
    in place (Django's pattern for per-view upload handlers); the view then refuses the file
    by its size as before."""

    def decorate(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            handler = ImportSizeLimit(request, limit_setting=limit_setting, stop_reading=False)
            request.upload_handlers.insert(0, handler)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorate


class UploadSizeChecked:
    """A DRF view mixin: ``ImportSizeLimit`` (counting, never stopping) before anything reads
    the body; ``upload_limit_setting`` names the setting of the limit."""

    upload_limit_setting = "IMPORT_MAX_BYTES"

    def initialize_request(self, request, *args, **kwargs):
        handler = ImportSizeLimit(
            request, limit_setting=self.upload_limit_setting, stop_reading=False
        )
        request.upload_handlers.insert(0, handler)
        return super().initialize_request(request, *args, **kwargs)
