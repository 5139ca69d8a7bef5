"""The refusal every service raises: a message a person can act on, and the field it is about."""


class ServiceError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, str]:
        out = {"detail": self.message, "code": self.code}
        if self.field:
            out["field"] = self.field
        return out
