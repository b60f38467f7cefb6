-- The admin routes need the `admin` scope besides the admin role. An admin's keys that held every
-- scope there was keep administering; an admin's keys limited to some scopes no longer do.
UPDATE `api_keys`
SET `scopes` = '["jobs:read","jobs:write","keys:manage","webhooks:manage","admin"]'
WHERE `scopes` = '["jobs:read","jobs:write","keys:manage","webhooks:manage"]'
  AND `user_id` IN (SELECT `id` FROM `users` WHERE `role` = 'admin');
