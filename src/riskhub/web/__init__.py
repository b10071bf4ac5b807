"""Server-rendered pages: sign-in with the API's identities, and the Action Plan tracker."""
