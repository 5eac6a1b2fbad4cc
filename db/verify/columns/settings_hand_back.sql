-- Verify tributary:columns/settings_hand_back
BEGIN;
SELECT hand_back_delay, hand_back_grace FROM tributary.settings WHERE false;
SELECT 1 / (pg_catalog.count(*) = 4)::int FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.settings'::regclass
  AND conname IN ('settings_hand_back_delay_not_negative', 'settings_hand_back_grace_not_negative',
                  'settings_hand_back_delay_bounded', 'settings_hand_back_grace_bounded');
ROLLBACK;
