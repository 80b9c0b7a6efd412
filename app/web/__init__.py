"""The browser surface: admin console, door terminal and local API docs, served by facegate itself."""
