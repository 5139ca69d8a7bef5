"""An import upload's size, checked while it streams in rather than after it is spooled.

The first upload handler of the import views: bytes up to ``IMPORT_MAX_BYTES`` pass on to
Django's handlers; past it they are only counted (nothing more is kept in memory or on
disk), and the file becomes an empty one of the counted size, which ``check_size`` refuses
naming its size. Far past the limit reading stops altogether.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# how far past the limit the rest of an upload is still read, to name its size
STOP_READING_AFTER = 4


class ImportSizeLimit(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.limit = settings.IMPORT_MAX_BYTES

    def receive_data_chunk(self, raw_data, start):
        received = start + len(raw_data)
        if received <= self.limit:
            return raw_data
        if received > STOP_READING_AFTER * self.limit:
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
