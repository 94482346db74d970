-- wrk script: POST a 32-byte digest to the default ring's sign endpoint with the admin key from SFI_ADMIN_KEY.
wrk.method = "POST"
wrk.body = '{"digest":"WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SFI_ADMIN_KEY")
