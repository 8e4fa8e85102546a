"""Hall ⇄ central sync: request signing, the uploader and puller, sync status."""
