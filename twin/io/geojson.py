"""GeoJSON / OGR vector reader (being written)."""


class GeoJSONReader:
    name = "geojson"
    suffixes = (".geojson", ".json")

    def can_read(self, path):
        return path.suffix.lower() in self.suffixes

    def read(self, path, **options):
        raise NotImplementedError
