-- 免提交 materials (issue 16): per service, the materials the platform holds as electronic
-- licences, JSON [{"name", "name_en", "license_type"}]. services.materials keeps the names.
ALTER TABLE services ADD COLUMN materials_electronic TEXT NOT NULL DEFAULT '[]';
